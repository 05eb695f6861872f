using System.Globalization;
using System.Net;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Scenarios;

namespace Hub.Bench;

/// <summary>The command line: a scenario and options that override its load.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project Hub.Bench -- SCENARIO [options]
               dotnet run -c Release --project Hub.Bench -- report RESULTS.json   (table and charts of an earlier run)

        Scenarios:
          fanout     broadcast to every receiver at rising rates: deliveries/s, latency, saturation, CPU per delivery
          latency    same-node vs cross-node latency at 10, 50 and 80 % of the saturation rate
          groups     many small groups (5 members across the nodes), messages to one group each, at rising rates
          history    broadcast throughput, latency and Redis round trips per message, history off vs on
          publish    one connection awaiting each Send, history off vs on: sends/s and round-trip time
          api        concurrent HTTP API callers broadcasting through one node: messages/s per node
          connections  N idle connections on one node: memory per connection, connects/s, one broadcast to all;
                     with --nodes N spread evenly over N nodes, each node's share from a load process of its own
          upstream   messages/s and p99 without vs with upstream webhooks (a local backend, every event asked)
          failover   one of 3 nodes killed under 10,000 clients in groups: time until its clients are back and
                     resumed, losses, the p99 of the others, the connect storm the survivors admit
          routing    interest routing off vs on, on a Redis Cluster: groups whose members sit on nodes 1 and 2
                     of --nodes (default 4), the others holding members of groups that get nothing, 1,000 msg/s;
                     Redis CPU per message, and CPU and bus messages per message of the nodes with no recipient

        Options:
          --rounds N        rounds per variant, run alternately, the order turned every other round (default 3)
          --duration S      measured seconds per round (default 10; connections: idle seconds before the memory is read, 5)
          --warmup S        seconds of load before measuring (default 2)
          --receivers N     listening connections (history: 20)
          --publishers N    sending connections (history: 2; api: HTTP callers, 32)
          --connections N   idle connections to one node (connections: 100000, capped by the open-files limit;
                            with --nodes, over all of them, each node's share capped by it);
                            failover: clients over the nodes (10000)
          --stalled N       connections that never read after the handshake (stuck clients; default 0)
          --window N        Send calls each publisher keeps in flight (history: 16, publish: 1)
          --rate N          messages/s all publishers offer together, open loop, in a scenario without a ramp
                            (failover: 400; 0 = closed loop with --window calls in flight)
          --text-length N   characters per message text (default 64)
          --ramp-start N    in a scenario that ramps (fanout, groups, latency): the first step's messages/s
          --ramp-step P     in a scenario that ramps: each step P % above the last (fanout: 50); a finer
                            step reads a saturation ratio more finely, in more steps
          --ramp-steps N    in a scenario that ramps: at most N steps (default 12)
          --read-late-again in a scenario that ramps: a step that kept up but for its p99 is run once
                            more and judged on that second reading (both readings reported), so one
                            pause on a shared machine does not end the ramp
          --nodes N         Hub nodes to start (default 2; failover 3, of which the third is killed; connections 1)
          --replicas N      replicas of the bench's Redis to start, synced before the first round (default 0;
                            with --set Hub:History:WaitReplicas=1, what a send acknowledged by a replica costs)
          --redis-cluster   a Redis Cluster of 3 masters (redis-cli --cluster create) instead of one redis-server,
                            the nodes given every server as seeds; with --replicas N, N replicas per master.
                            Redis CPU and command counts add up all the servers (routing: always on)
          --url URL         a running node's hub (http://127.0.0.1:5000/hub, or its TCP endpoint
                            tcp://127.0.0.1:5001); repeat for more nodes.
                            The bench then starts nothing and runs the servers as configured.
          --redis HOST:PORT with --url: the Redis to count commands in
          --out PATH        results file (default BenchResults/<scenario>-<timestamp>.json)
          --baseline DLL    A/B a code change: "baseline" runs this other Hub.Server.dll (a build of the
                            old commit), "candidate" this tree's, both with the scenario's last variant
                            (history on), alternating
          --set KEY=VALUE   a server setting (configuration key or DOTNET_ variable) for "candidate" only;
                            repeat for more. Alone, baseline and candidate run the same build.
          --peer NAME       run the scenario's last variant (history on) against a peer server too, alternating:
                            tcp (Hub's own TCP endpoint instead of WebSockets), raw (a bare Kestrel WebSocket
                            broadcast through the same Redis, no SignalR: the lower bound), socketio (Socket.IO
                            4.8 with its Redis adapter, in Node; not with connections), signalr (a plain ASP.NET
                            Core SignalR hub with the stock Redis backplane, AddStackExchangeRedis); ratios are Hub / peer
          --raw-frame-bytes N  with --peer raw: the bare server pads each message it writes to N bytes, so that
                            its receivers read as many bytes per message as Hub's (a JSON hub message with a
                            64-character text is 385 bytes)
          --protocol NAME   the SignalR hub protocol of Hub's clients: json (default) or messagepack
          --smoke           a tiny run (2 receivers, a few messages, 1 round) that fails on any loss or error
        """;

    public required ScenarioDefinition Scenario { get; init; }

    /// <summary>What the rounds alternate: the scenario's own variants, or a baseline and a candidate.</summary>
    public required IReadOnlyList<Variant> Variants { get; init; }

    public int Rounds { get; init; } = 3;

    public int Nodes { get; init; } = 2;

    /// <summary>Replicas of the bench's own Redis (<c>--replicas</c>): of the one server, or of each master of a cluster.</summary>
    public int Replicas { get; init; }

    /// <summary>A Redis Cluster instead of one redis-server (<c>--redis-cluster</c>, or a scenario that needs one).</summary>
    public bool RedisCluster { get; init; }

    public bool Smoke { get; init; }

    public IReadOnlyList<Uri> Urls { get; init; } = [];

    /// <summary>The hub protocol the load speaks to Hub, in every variant.</summary>
    public IHubCodec Protocol { get; init; } = JsonHubCodec.Instance;

    public DnsEndPoint? Redis { get; init; }

    public string? Out { get; init; }

    public required LoadShape Load { get; init; }

    /// <exception cref="ArgumentException">The command line is wrong; the message says how.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("Name a scenario.");
        }

        var scenario = ScenarioDefinition.All.FirstOrDefault(s => s.Name == args[0])
            ?? throw new ArgumentException($"Unknown scenario '{args[0]}'.");
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var smoke = false;
        var redisCluster = scenario.RedisCluster;
        var readLateAgain = false;
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] == "--smoke")
            {
                smoke = true;
            }
            else if (args[i] == "--redis-cluster")
            {
                redisCluster = true;
            }
            else if (args[i] == "--read-late-again")
            {
                readLateAgain = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count)
            {
                values.TryAdd(args[i], []);
                values[args[i]].Add(args[++i]);
            }
            else
            {
                throw new ArgumentException($"Unexpected '{args[i]}'.");
            }
        }

        var load = smoke ? scenario.Load.Smoke() : scenario.Load;
        var protocol = values.Remove("--protocol", out var named)
            ? IHubCodec.ByName.GetValueOrDefault(named[^1]) ?? throw new ArgumentException($"--protocol must be one of {string.Join(", ", IHubCodec.ByName.Keys)}.")
            : JsonHubCodec.Instance;
        var nodes = Int(values, "--nodes", load.Nodes, 1, 16);
        var options = new BenchOptions
        {
            Scenario = scenario,
            Variants = Comparison(scenario, values),
            Smoke = smoke,
            Rounds = Int(values, "--rounds", smoke ? 1 : 3, 1, 100),
            Nodes = nodes,
            Replicas = Int(values, "--replicas", 0, 0, 4),
            RedisCluster = redisCluster,
            Urls = [.. values.GetValueOrDefault("--url", []).Select(LoopbackUrl)],
            Redis = values.Remove("--redis", out var redis) ? RedisEndPoint(redis[^1]) : null,
            Out = values.Remove("--out", out var output) ? output[^1] : null,
            Protocol = protocol,
            Load = load with
            {
                Nodes = nodes,
                Receivers = Int(values, "--receivers", load.Receivers, 0, 10_000),
                Connections = Int(values, "--connections", load.Connections, 0, 1_000_000),
                Publishers = Int(values, "--publishers", load.Publishers, 1, 1_000),
                Stalled = Int(values, "--stalled", load.Stalled, 0, 1_000),
                Window = Int(values, "--window", load.Window, 1, 10_000),
                Rate = Int(values, "--rate", (int)load.Rate, 0, 1_000_000),
                TextLength = Int(values, "--text-length", load.TextLength, 1, 30_000),
                Duration = Seconds(values, "--duration", load.Duration),
                Warmup = Seconds(values, "--warmup", load.Warmup),
                Protocol = protocol.Name,
                Ramp = Ramp(load.Ramp, values, readLateAgain),
            },
        };
        values.Remove("--url");
        return values.Count == 0 ? options : throw new ArgumentException($"Unknown option '{values.Keys.First()}'.");
    }

    private static IReadOnlyList<Variant> Comparison(ScenarioDefinition scenario, Dictionary<string, List<string>> values)
    {
        var baselineDll = values.Remove("--baseline", out var given) ? Path.GetFullPath(given[^1]) : null;
        var sets = values.Remove("--set", out var pairs) ? pairs : [];
        var peer = values.Remove("--peer", out var peers) ? peers[^1] : null;
        if (peer is not null)
        {
            if (baselineDll is not null || sets.Count > 0)
            {
                throw new ArgumentException("--peer compares Hub with another server; it does not go with --baseline or --set.");
            }

            var kind = ServerKind.Peers.GetValueOrDefault(peer)
                ?? throw new ArgumentException($"Unknown peer '{peer}'; known: {string.Join(", ", ServerKind.Peers.Keys)}.");
            if (values.ContainsKey("--raw-frame-bytes"))
            {
                kind = peer == "raw"
                    ? DotNetPeerServerKind.RawWithFrameBytes(Int(values, "--raw-frame-bytes", 0, 3, 60_000))
                    : throw new ArgumentException("--raw-frame-bytes pads the raw peer's frames; it goes with --peer raw.");
            }
            var hub = scenario.Variants[^1];
            return [new(kind.Name, hub.Settings, Server: kind), hub with { Name = ServerKind.Hub.Name }];
        }

        if (baselineDll is null && sets.Count == 0)
        {
            return scenario.Variants;
        }

        if (baselineDll is not null && !File.Exists(baselineDll))
        {
            throw new ArgumentException($"--baseline {baselineDll} does not exist.");
        }

        var common = scenario.Variants[^1].Settings;
        var candidate = new Dictionary<string, string>(common);
        foreach (var pair in sets)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--set must be KEY=VALUE, not '{pair}'.");
            }

            candidate[pair[..equals]] = pair[(equals + 1)..];
        }

        return [new("baseline", common, baselineDll), new("candidate", candidate)];
    }

    private static RampPlan? Ramp(RampPlan? ramp, Dictionary<string, List<string>> values, bool readLateAgain)
    {
        if (ramp is null)
        {
            return readLateAgain || values.Keys.Any(k => k.StartsWith("--ramp-", StringComparison.Ordinal))
                ? throw new ArgumentException("--ramp-start, --ramp-step, --ramp-steps and --read-late-again go with a scenario that ramps (fanout, groups, latency).")
                : null;
        }

        return ramp with
        {
            StartRate = Int(values, "--ramp-start", (int)ramp.StartRate, 1, 1_000_000),
            Factor = 1 + (Int(values, "--ramp-step", (int)Math.Round((ramp.Factor - 1) * 100), 5, 400) / 100.0),
            MaxSteps = Int(values, "--ramp-steps", ramp.MaxSteps, 1, 40),
            ReadLateStepsAgain = readLateAgain,
        };
    }

    private static int Int(Dictionary<string, List<string>> values, string name, int fallback, int min, int max)
    {
        if (!values.Remove(name, out var given))
        {
            return fallback;
        }

        return int.TryParse(given[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}.");
    }

    private static TimeSpan Seconds(Dictionary<string, List<string>> values, string name, TimeSpan fallback)
    {
        if (!values.Remove(name, out var given))
        {
            return fallback;
        }

        return double.TryParse(given[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 600
            ? TimeSpan.FromSeconds(value)
            : throw new ArgumentException($"{name} must be seconds from 0 to 600.");
    }

    // The bench loads machines hard: it only ever aims at this machine.
    private static Uri LoopbackUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.IsLoopback && url.Scheme is "http" or "https" or "tcp"
            ? url
            : throw new ArgumentException($"--url must be an http(s) or tcp URL on this machine (127.0.0.1 or localhost), not '{text}'.");

    private static DnsEndPoint RedisEndPoint(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var port)
            && Uri.TryCreate($"tcp://{text}", UriKind.Absolute, out var url) && url.IsLoopback
            ? new DnsEndPoint(text[..colon], port)
            : throw new ArgumentException($"--redis must be HOST:PORT on this machine, not '{text}'.");
    }
}
