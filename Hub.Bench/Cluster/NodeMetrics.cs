using System.Globalization;

namespace Hub.Bench.Cluster;

/// <summary>Reads a node's own counters from its Prometheus endpoint (<c>/metrics</c>).</summary>
internal static class NodeMetrics
{
    /// <summary>
    /// Messages the node's bus reader took, by kind (<c>hub.messages.delivered</c>: once per
    /// message and node, whether or not the node had a recipient for it).
    /// </summary>
    public const string BusMessages = "hub_messages_delivered_total";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The endpoint of the node serving <paramref name="hub"/>, when the bench knows it (not over TCP).</summary>
    public static Uri? Of(Uri hub) => hub.Scheme == "http" ? new Uri(hub, "/metrics") : null;

    /// <summary>
    /// The value of every series of <paramref name="metric"/> (one per set of labels); empty when
    /// the node has none (a counter appears with its first count); null when the node did not answer.
    /// </summary>
    public static async Task<IReadOnlyList<double>?> ReadAsync(Uri metrics, string metric, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await Http.GetStringAsync(metrics, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }

        return [.. text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))];
    }
}
