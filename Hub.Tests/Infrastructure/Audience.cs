using Hub.Client;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// The cast of the failure tests, on two nodes: bob (the .NET client) and carol (the JS helper,
/// <c>js/recovery.mjs</c>) on node B, dave (.NET) on node A, all in the group <c>room</c>, bob
/// also on his user stream; and alice on node A, who publishes steadily to the group and to bob.
/// </summary>
public sealed class Audience : IAsyncDisposable
{
    public const string Group = "group:room";
    public const string User = "user:bob";

    private Audience(TestClient bob, TestClient dave, NodeScript carol, TestClient alice)
    {
        Bob = bob;
        Dave = dave;
        Carol = carol;
        Alice = alice;
    }

    public TestClient Bob { get; }

    public TestClient Dave { get; }

    public NodeScript Carol { get; }

    public TestClient Alice { get; }

    /// <param name="alicesNode">Where alice connects; node A when null.</param>
    public static async Task<Audience> StartAsync(HubNode nodeA, HubNode nodeB, string carolsProtocol = "json", HubNode? alicesNode = null)
    {
        var bob = await TestClient.InGroupAsync(nodeB, "bob", "room");
        var dave = await TestClient.InGroupAsync(nodeA, "dave", "room");
        var carol = NodeScript.Start("recovery.mjs", nodeB.HubUrl.ToString(), carolsProtocol, "carol");
        await carol.WaitForAsync("ready");
        var alice = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(alicesNode ?? nodeA, "alice") });
        await alice.Client.StartAsync().Within();
        return new Audience(bob, dave, carol, alice);
    }

    /// <summary>Alice starts publishing, to the group and to bob in turn.</summary>
    public SteadyPublisher Publish() => SteadyPublisher.Start(Alice.Client, [Group, User]);

    /// <summary>
    /// Alice sends "end" to the group and to bob, once the failures are over; returns what each
    /// receiver was handed once it has its end (bob, dave, carol).
    /// </summary>
    public async Task<IReadOnlyList<Receipt>> EndAsync()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var end = await Alice.Client.SendToGroupAsync("room", "end").Within();
        var endBob = await Alice.Client.SendToUserAsync("bob", "end").Within();
        await Bob.Messages.WaitForAsync(m => m.Id == end.Id, "bob's end of the group stream", timeout);
        await Bob.Messages.WaitForAsync(m => m.Id == endBob.Id, "bob's end of his user stream", timeout);
        await Dave.Messages.WaitForAsync(m => m.Id == end.Id, "dave's end of the group stream", timeout);
        var carol = Receipt.Of("carol (JS, node B)", await Carol.WaitForAsync("received", timeout));
        return [Receipt.Of("bob (.NET, node B)", Bob), Receipt.Of("dave (.NET, node A)", Dave), carol];
    }

    /// <summary>
    /// Every accepted message reached every receiver of its stream once, in order, or the receiver
    /// was told its stream lost messages; no position named two messages, in what the receivers
    /// were handed nor in <paramref name="history"/>; no offset was handed out twice.
    /// </summary>
    public static void AssertDelivered(IReadOnlyList<SendResult> accepted, IReadOnlyList<Receipt> receipts, params Receipt[] history) =>
        AssertDelivered(accepted, [accepted], receipts, history);

    /// <summary>
    /// As above, where senders took over from one another: offsets rise within each of
    /// <paramref name="runs"/> (what one sender had accepted in a row). A sender on a node that never
    /// saw a stream cannot know offsets that a failover lost; the stream then goes on under a new
    /// epoch, where they name other messages, which the positions the receivers were handed show.
    /// </summary>
    public static void AssertDelivered(IReadOnlyList<SendResult> accepted, IEnumerable<IReadOnlyList<SendResult>> runs, IReadOnlyList<Receipt> receipts, params Receipt[] history)
    {
        foreach (var receipt in receipts)
        {
            TestContext.Out.WriteLine($"{receipt.Name}: {receipt.Messages.Count} received, lost [{string.Join(", ", receipt.LostStreams)}], {receipt.Reconnects} reconnect(s)");
            if (receipt.Name.StartsWith("bob", StringComparison.Ordinal))
            {
                receipt.AssertEveryAcceptedMessageOnce(accepted, Group, User);
            }
            else
            {
                receipt.AssertEveryAcceptedMessageOnce(accepted, Group);
            }
        }

        Receipt.AssertNoPositionNamesTwoMessages([.. receipts, .. history]);
        foreach (var run in runs)
        {
            Receipt.AssertNoOffsetHandedOutTwice(run);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Alice.DisposeAsync();
        await Carol.DisposeAsync();
        await Dave.DisposeAsync();
        await Bob.DisposeAsync();
    }
}
