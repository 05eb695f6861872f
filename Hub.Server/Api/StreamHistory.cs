using Hub.Client;

namespace Hub.Server.Api;

/// <summary>A page of a stream's history: its epoch and the messages, oldest first.</summary>
internal sealed record StreamHistory(string Epoch, IReadOnlyList<Message> Messages);
