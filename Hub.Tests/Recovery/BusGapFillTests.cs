using System.Text.Json;
using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Drain;
using Hub.Server.History;
using Hub.Server.Messaging;
using Hub.Server.Recovery;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Recovery;

/// <summary>
/// A node's fill of a gap from history, with what its bus delivered meanwhile held: on a Redis
/// Cluster two failovers close together can end with the node holding writes that a master took
/// and its replica never got, followed by the messages the replica took at the same offsets once
/// it was master. The node's clients must get them in the order they were published, as the clients
/// of a node that was not filling do (ClusterFailoverTests showed the other order under load).
/// </summary>
public sealed class BusGapFillTests
{
    private const string Stream = "group:room";

    [Test]
    public async Task WritesAFailoverLost_HeldWhileTheNodeFilled_GoOutBeforeTheNextEpochsMessages()
    {
        // e1 ended at 10 (a failover without loss), e2 at 20: its writes 21-25 were lost with its
        // master, and e3 took offsets 21-30 with other messages.
        var e2 = Enumerable.Range(11, 15).Select(o => At("e2", o, $"e2-{o}")).ToList();
        var e3 = Enumerable.Range(21, 10).Select(o => At("e3", o, $"e3-{o}")).ToList();
        var history = new GatedHistory(new HistoryPage("e3", 30, 1, [.. e2.Take(10).Select(m => m with { Epoch = "e3" }), .. e3])
        {
            Lineage = [new EndedEpoch("e1", 10), new EndedEpoch("e2", 20)],
        });
        var clients = new RecordingClients();
        var streams = new LocalStreams();
        var recovery = new BusGapRecovery(
            new IdleBroker(), history, streams, new LocalFanout(clients, new ResumingConnections(), NullLogger<LocalFanout>.Instance),
            new ConnectionRegistry(streams, TimeProvider.System), Options.Create(new HistoryOptions()), Options.Create(new DrainOptions()),
            NullLogger<BusGapRecovery>.Instance);
        streams.Add(Stream);
        var cursor = streams.Find(Stream)!;
        cursor.Seed("e1", 10);

        // The first of e2 is a gap (another epoch): the fill starts, and waits for its history read
        // while the rest arrives and is held.
        foreach (var message in e2.Concat(e3))
        {
            await recovery.Admit(cursor, Target.Group("room"), message).Within();
        }

        history.Open();
        await Bounded.UntilAsync(() => Task.FromResult(clients.Received.Count >= e2.Count + e3.Count && !cursor.Filling),
            "the node delivers every message and stops holding", TimeSpan.FromSeconds(10));

        Assert.That(clients.Received.Select(m => m.Id), Is.EqualTo(e2.Concat(e3).Select(m => m.Id)),
            "what the group's clients got: e2's messages, those it lost included, then e3's from offset 21");
    }

    private static Message At(string epoch, long offset, string id) => new()
    {
        Id = id,
        Stream = Stream,
        Epoch = epoch,
        Offset = offset,
        From = "alice",
        Data = JsonSerializer.SerializeToElement("hello"),
    };

    /// <summary>One stream's history, answering reads only once the test opens it.</summary>
    private sealed class GatedHistory(HistoryPage page) : IHistoryStore
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The fill reads pages only.");

        public async Task<HistoryPage> ReadAsync(string stream, long after, int limit, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            return page with { Messages = [.. page.Messages.Where(m => m.Offset > after).Take(limit)] };
        }
    }

    private sealed class RecordingClients : ILocalClients
    {
        private readonly List<Message> _received = [];

        public IReadOnlyList<Message> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public Task SendGroupAsync(string group, string method, object?[] args, CancellationToken cancellationToken = default)
        {
            lock (_received)
            {
                _received.Add((Message)args[0]!);
            }

            return Task.CompletedTask;
        }

        public Task SendAllAsync(string method, object?[] args, CancellationToken cancellationToken = default) => throw Unexpected();

        public Task SendAllExceptAsync(string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default) => throw Unexpected();

        public Task SendConnectionAsync(string connectionId, string method, object?[] args, CancellationToken cancellationToken = default) => throw Unexpected();

        public Task SendGroupExceptAsync(string group, string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default) => throw Unexpected();

        public Task AddToGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default) => throw Unexpected();

        public Task RemoveFromGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default) => throw Unexpected();

        private static NotSupportedException Unexpected() => new("Only a group's messages are sent here.");
    }

    private sealed class IdleBroker : IBroker
    {
        public event Action<BusGap>? Resubscribed { add { } remove { } }

        public bool IsAvailable => true;

        public bool IsReady => true;

        public Task SubscribeAsync(Func<Envelope, Task> handler, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StreamPosition> PublishAsync(Envelope envelope, string? requiredConnectionId, CallOrder.Turn? turn, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
