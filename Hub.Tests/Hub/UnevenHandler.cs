using System.Collections.Concurrent;
using Hub.Server;
using Hub.Server.Handlers;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Hub;

/// <summary>An application's handler that takes a varying time over messages, and long over one group's joins.</summary>
internal sealed class UnevenHandler : HubHandler
{
    public const string SlowGroup = "slow";

    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    /// <summary>The stand-alone server with this handler deciding.</summary>
    public AppBuilder Server => (args, configure) => HubServerApp.Build(args, builder =>
    {
        configure?.Invoke(builder);
        builder.Services.AddSingleton<IHubHandler>(this);
    });

    public override async ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var text = context.Data.ValueKind == System.Text.Json.JsonValueKind.String ? context.Data.GetString()! : "";
        _messages.Enqueue(text);
        // Whole milliseconds, some none: a later message is often through before an earlier one.
        await Task.Delay(Random.Shared.Next(0, 4), cancellationToken);
        return MessageDecision.Allow();
    }

    public override async ValueTask<JoinDecision> OnJoinAsync(JoinContext context, CancellationToken cancellationToken)
    {
        if (context.Group == SlowGroup)
        {
            await Task.Delay(200, cancellationToken);
        }

        return JoinDecision.Allow();
    }
}
