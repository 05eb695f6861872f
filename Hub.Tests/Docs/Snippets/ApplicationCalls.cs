using System.Text.Json;
using Hub.Client;
using Hub.Server.Handlers;

namespace Hub.Tests.Docs.Snippets;

/// <summary>docs/applications.md: the handler of its application, and a client calling it.</summary>
internal sealed class ApplicationCalls : SnippetContext
{
    public static async Task CallAsync(HubClient client)
    {
        #region fragment
        // Hub.Client: data serialized, and the answer read, with System.Text.Json's web defaults
        var sum = await client.CallAsync<double>("add", new { a = 2, b = 3.5 });
        JsonElement me = await client.CallAsync<JsonElement>("whoami", null);
        #endregion
        Console.WriteLine($"{sum} {me}");
    }
}

#region fragment
public sealed class ChatHandler : HubHandler
{
    public override ValueTask<ConnectDecision> OnConnectedAsync(ConnectContext context, CancellationToken cancellationToken) =>
        context.Query["name"].ToString() is { Length: > 0 } name
            ? new(ConnectDecision.Allow(user: name, groups: ["lobby"]))
            : new(ConnectDecision.Refuse("Say who you are: connect with ?name=…"));

    public override ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken) =>
        context.Event == "shout" && context.Data.ValueKind == JsonValueKind.String
            ? new(MessageDecision.Replace("message", JsonSerializer.SerializeToElement(context.Data.GetString()!.ToUpperInvariant())))
            : new(MessageDecision.Allow());

    public override ValueTask<CallDecision> OnCallAsync(CallContext context, CancellationToken cancellationToken) =>
        context.Method == "time" ? new(CallDecision.Return(DateTimeOffset.UtcNow)) : base.OnCallAsync(context, cancellationToken);
}
#endregion
