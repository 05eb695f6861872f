using System.Text.Json.Nodes;
using Hub.Client;
using Hub.Server.History;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Infrastructure;

/// <summary>What one receiver was handed, in the order it was handed over, and what it was told.</summary>
public sealed record Receipt(string Name, IReadOnlyList<Receipt.Item> Messages, IReadOnlyList<string> LostStreams, int Reconnects)
{
    public static Receipt Of(string name, TestClient client) => new(
        name,
        [.. client.Messages.Items.Select(m => new Item(m.Id, m.Stream, m.Epoch, m.Offset))],
        [.. client.Lost.Items.SelectMany(s => s).Distinct()],
        client.Reconnected.Items.Count);

    /// <summary>The final line of <c>js/recovery.mjs</c>: what the JS helper handed over.</summary>
    public static Receipt Of(string name, JsonObject script) => new(
        name,
        [.. script["received"]!.AsArray().Select(m => new Item((string)m!["id"]!, (string)m["stream"]!, (string?)m["epoch"] ?? "", (long)m["offset"]!))],
        [.. script["lost"]!.AsArray().SelectMany(s => s!.AsArray().Select(n => (string)n!)).Distinct()],
        (int)script["reconnects"]!);

    /// <summary>What the stream's history holds now, read through a node, as if a receiver had been handed it.</summary>
    public static async Task<Receipt> OfHistoryAsync(TestNode node, string stream)
    {
        var history = node.Services.GetRequiredService<IHistoryStore>();
        var messages = new List<Item>();
        for (var after = 0L; ;)
        {
            var page = await history.ReadAsync(stream, after, 1000, CancellationToken.None).Within();
            messages.AddRange(page.Messages.Select(m => new Item(m.Id, m.Stream, m.Epoch, m.Offset)));
            if (page.Messages.Count == 0 || page.Messages[^1].Offset >= page.Offset)
            {
                return new Receipt($"the history of {stream}", messages, [], 0);
            }

            after = page.Messages[^1].Offset;
        }
    }

    /// <summary>Each stream's accepted offsets rise, in the order they were accepted: none was handed out twice.</summary>
    public static void AssertNoOffsetHandedOutTwice(IEnumerable<SendResult> accepted)
    {
        foreach (var stream in accepted.GroupBy(r => r.Stream))
        {
            var offsets = stream.Select(r => r.Offset).ToList();
            var back = offsets.Zip(offsets.Skip(1)).Where(p => p.Second <= p.First).Take(5).ToList();
            Assert.That(back, Is.Empty, $"offsets of {stream.Key} accepted after a higher one: {string.Join(", ", back.Select(p => $"{p.First} then {p.Second}"))}");
        }
    }

    /// <summary>
    /// Every accepted message of <paramref name="streams"/> reached the receiver exactly once, each
    /// stream in the order it was accepted; one that did not is allowed only on a stream the receiver
    /// was told lost messages. A receiver that was told nothing was lost was never disconnected.
    /// </summary>
    public void AssertEveryAcceptedMessageOnce(IEnumerable<SendResult> accepted, params string[] streams)
    {
        var received = Messages.Where(m => streams.Contains(m.Stream)).ToList();
        Assert.That(received.Select(m => m.Id), Is.Unique, $"{Name} received a message twice");
        foreach (var stream in streams)
        {
            var sent = accepted.Where(r => r.Stream == stream).Select(r => r.Id).ToList();
            var sentIds = sent.ToHashSet();
            var got = received.Where(m => m.Stream == stream && sentIds.Contains(m.Id)).Select(m => m.Id).ToList();
            if (LostStreams.Contains(stream))
            {
                var order = sent.Where(got.Contains);
                Assert.That(got, Is.EqualTo(order), $"{Name}: what it received of {stream} is in the order it was accepted");
            }
            else
            {
                var missing = sent.Except(got).Take(10).ToList();
                Assert.That(got, Is.EqualTo(sent),
                    $"{Name}: every accepted message of {stream} once, in order, with no MessagesLost for it; {sent.Count - got.Count} missing, first {string.Join(", ", missing.Select(id => accepted.First(r => r.Id == id).Offset))}");
            }
        }

        if (LostStreams.Count == 0)
        {
            Assert.That(Reconnects, Is.Zero, $"{Name} lost nothing, so it had no reason to reconnect");
        }
    }

    /// <summary>No (stream, epoch, offset) names two messages, across everything the receivers were handed.</summary>
    public static void AssertNoPositionNamesTwoMessages(IEnumerable<Receipt> receipts)
    {
        var reused = receipts.SelectMany(r => r.Messages)
            .Where(m => m.Offset > 0)
            .GroupBy(m => (m.Stream, m.Epoch, m.Offset))
            .Where(g => g.Select(m => m.Id).Distinct().Count() > 1)
            .Select(g => $"{g.Key.Stream} {g.Key.Epoch}:{g.Key.Offset}")
            .ToList();
        Assert.That(reused, Is.Empty, "positions that named two different messages");
    }

    /// <summary>One message as a receiver was handed it.</summary>
    public sealed record Item(string Id, string Stream, string Epoch, long Offset);
}
