using System.Diagnostics.Metrics;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Operations;

/// <summary>
/// hub.backplane.lag: how long after its acceptance a message reaches a node's delivery, read on
/// the receiving node's clock. Node B runs on the test's clock, set ahead of node A's, so the lag
/// each node records is known without a loaded bus: B reads A's messages that much late, and A
/// reads B's, sent "in its future", as no lag at all.
/// </summary>
public sealed class BackplaneLagTests() : ClusterTest(Topology.Redis)
{
    private static readonly TimeSpan Ahead = TimeSpan.FromSeconds(3);

    protected override bool OnFakeTime(string nodeId) => nodeId == "node-b";

    [Test]
    public async Task TheLag_IsTheReceivingNodesTimeSinceAcceptance_NeverBelowZero()
    {
        using var onA = LagRecorder.Listen(NodeA);
        using var onB = LagRecorder.Listen(NodeB);
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");
        // Node b's clock stands still on the test's clock, 3 s ahead of the real time node a runs on.
        Clock.SetUtcNow(DateTimeOffset.UtcNow + Ahead);

        var fromA = await alice.Client.SendAsync("from node a").Within();
        await bob.Messages.WaitForAsync(m => m.Id == fromA.Id, "node a's broadcast on node b");
        await alice.Messages.WaitForAsync(m => m.Id == fromA.Id, "node a's broadcast on node a");
        var fromB = await bob.Client.SendToUserAsync("alice", "from node b").Within();
        await alice.Messages.WaitForAsync(m => m.Id == fromB.Id, "node b's message to alice on node a");

        // Each lag is recorded before the message is handed to the node's connections.
        var bReadsA = onB.Single("all");
        var aReadsA = onA.Single("all");
        var aReadsB = onA.Single("user");
        Assert.Multiple(() =>
        {
            // Node a's broadcast was accepted after node b's clock was set, a moment ago in real time.
            Assert.That(bReadsA, Is.InRange(Ahead.TotalSeconds - 2, Ahead.TotalSeconds), "node b, its clock ahead, reads node a's broadcast that late");
            Assert.That(aReadsA, Is.InRange(0, 2), "node a reads its own broadcast at once");
            Assert.That(aReadsB, Is.EqualTo(0), "a message accepted on a clock ahead of node a's is not read as arriving before it was sent");
        });
    }

    /// <summary>What one node records on hub.backplane.lag, by the message's kind (its own meters only).</summary>
    private sealed class LagRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Kind, double Seconds)> _recorded = [];

        private LagRecorder(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == scope && instrument.Name == "hub.backplane.lag")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                var kind = tags.ToArray().Single(t => t.Key == "kind").Value as string ?? "";
                lock (_recorded)
                {
                    _recorded.Add((kind, seconds));
                }
            });
            _listener.Start();
        }

        public static LagRecorder Listen(TestNode node) => new(node.Services.GetRequiredService<IMeterFactory>());

        /// <summary>The one lag recorded for a message of <paramref name="kind"/>; fails if there were none or more.</summary>
        public double Single(string kind)
        {
            lock (_recorded)
            {
                var lags = _recorded.Where(r => r.Kind == kind).Select(r => r.Seconds).ToList();
                Assert.That(lags, Has.Count.EqualTo(1), $"lags recorded for kind {kind}");
                return lags[0];
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
