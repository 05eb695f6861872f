namespace Hub.Bench.Load;

/// <summary>
/// Which group each message and each receiver belongs to when a scenario sends to groups: both
/// sides compute it, so the loss check knows exactly which messages each receiver must get.
/// </summary>
internal static class LoadGroups
{
    public static string Name(int group) => $"bench-{group}";

    /// <summary>Spreads a publisher's messages over the groups in a fixed, well-mixed order.</summary>
    public static int Of(int publisher, long sequence, int groups) => (int)((sequence * 7919 + publisher) % groups);

    /// <summary>Receiver <paramref name="receiver"/>'s group: consecutive receivers (on alternating nodes) share one, so every group spans the nodes.</summary>
    public static int OfReceiver(int receiver, int nodes, int groups) => receiver / nodes % groups;
}
