namespace Hub.Testing;

/// <summary>One line of <c>CLUSTER NODES</c>: a server, its role, for a replica the id of its master, for a master its slot ranges.</summary>
internal sealed record ClusterNode(string Id, int Port, bool IsMaster, string? MasterId, bool IsFailed, IReadOnlyList<(int First, int Last)> Slots)
{
    public bool Serves(int slot) => Slots.Any(r => r.First <= slot && slot <= r.Last);

    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
    // A slot is "n" or "first-last"; "[n->-id]" and "[n-<-id]" are migrations, not served here yet.
    public static ClusterNode Parse(string line)
    {
        var fields = line.Split(' ');
        var address = fields[1].Split('@')[0];
        var flags = fields[2].Split(',');
        var slots = fields.Skip(8)
            .Where(f => !f.StartsWith('['))
            .Select(f => f.Split('-'))
            .Select(r => (int.Parse(r[0]), int.Parse(r[^1])))
            .ToList();
        return new ClusterNode(
            fields[0],
            int.Parse(address[(address.LastIndexOf(':') + 1)..]),
            flags.Contains("master"),
            fields[3] == "-" ? null : fields[3],
            flags.Contains("fail"),
            slots);
    }
}
