namespace Hub.Client;

/// <summary>The methods the hub calls on its clients.</summary>
public interface IHubClient
{
    /// <summary>Delivers a message.</summary>
    Task Receive(Message message);

    /// <summary>Someone joined a group the receiver is in.</summary>
    Task MemberJoined(PresenceEvent presenceEvent);

    /// <summary>Someone left a group the receiver is in, also by disconnecting or with its node.</summary>
    Task MemberLeft(PresenceEvent presenceEvent);
}
