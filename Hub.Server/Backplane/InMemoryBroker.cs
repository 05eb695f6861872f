using System.Threading.Channels;
using Hub.Client;
using Hub.Server.Coalescing;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Presence;
using Microsoft.Extensions.Options;

namespace Hub.Server.Backplane;

/// <summary>
/// The single-node bus: the same contract as Redis (offset, history append and publish in one
/// step, one delivery order) with a lock and a channel read by one delivery loop.
/// </summary>
internal sealed class InMemoryBroker(InMemoryHistoryStore history, IPresenceStore presence, IOptions<HistoryOptions> historyOptions)
    : IBroker, IAsyncDisposable
{
    private readonly Channel<Envelope> _bus = Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _order = new();
    private readonly bool _historyEnabled = historyOptions.Value.Enabled;
    private Task? _loop;

    public bool IsAvailable => true;

    public bool IsReady => true;

    // One process: the bus is never interrupted.
    public event Action<BusGap>? Resubscribed { add { } remove { } }

    public Task SubscribeAsync(Func<Envelope, Task> handler, CancellationToken cancellationToken)
    {
        _loop = Task.Run(async () =>
        {
            // Deliveries while more messages wait leave their flushes to the end of the run (WriteBatch).
            var batch = new WriteBatch();
            // Peek, not Count: a single reader's unbounded channel does not count.
            Func<bool> moreWaiting = () => _bus.Reader.TryPeek(out _);
            await foreach (var envelope in _bus.Reader.ReadAllAsync())
            {
                await batch.Deliver(() => handler(envelope), moreWaiting);
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    // As in Redis: a group command needs the connection in the group's presence, anything else needs it live.
    private async Task<bool> IsThereAsync(Envelope envelope, string connectionId, CancellationToken cancellationToken) =>
        envelope.Kind is EnvelopeKind.AddToGroup or EnvelopeKind.RemoveFromGroup
            ? await presence.IsMemberAsync(envelope.Group!, connectionId, cancellationToken)
            : await presence.FindConnectionAsync(connectionId, cancellationToken) is not null;

    public async Task<StreamPosition> PublishAsync(Envelope envelope, string? requiredConnectionId, CallOrder.Turn? turn, CancellationToken cancellationToken)
    {
        // The check and the publish are not one step here as they are in Redis; a connection
        // that closes in between gets nothing, exactly as if it had closed just after.
        if (requiredConnectionId is not null && !await IsThereAsync(envelope, requiredConnectionId, cancellationToken))
        {
            throw HubRequestException.NotFound($"No connection with id '{requiredConnectionId}' is connected to the hub.");
        }

        var stream = envelope.Message?.Stream;
        StreamPosition position;
        lock (_order)
        {
            if (stream is null || !_historyEnabled)
            {
                _bus.Writer.TryWrite(envelope);
                position = new StreamPosition { Stream = stream ?? "" };
            }
            else
            {
                var positioned = history.Append(envelope);
                _bus.Writer.TryWrite(positioned);
                position = new StreamPosition { Stream = stream, Epoch = positioned.Message!.Epoch, Offset = positioned.Message.Offset };
            }
        }

        turn?.End();
        return position;
    }

    public async ValueTask DisposeAsync()
    {
        _bus.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
