using System.Diagnostics;
using System.Globalization;
using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// Socket.IO 4 nodes joined through its Redis adapter (Hub.Bench/peers/socketio/server.js, run by
/// Node): the broadcast Hub does, in the stack most often deployed for it. The packages come from
/// npm when the bench is built. Hub's settings do not apply to it.
/// </summary>
internal sealed class SocketIoServerKind : ServerKind
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Lazy<string> _node = new(() => ProgramPath.Require(
        "node", "Node.js is not installed; --peer socketio runs Socket.IO in it (Debian: apt-get install -y nodejs npm, then build the bench again)."));

    public override string Name => "socket.io";

    public override async Task<ServerNode> StartNodeAsync(int index, string redisConfiguration, IReadOnlyDictionary<string, string> settings, string? serverDll)
    {
        var directory = Path.Combine(RepoPaths.Root, "Hub.Bench", "peers", "socketio");
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            throw new InvalidOperationException($"{directory}/node_modules is missing: build the bench (dotnet build Hub.Bench) to install it from npm.");
        }

        var port = Ports.Free();
        var info = new ProcessStartInfo(_node.Value)
        {
            ArgumentList = { "server.js" },
            WorkingDirectory = directory,
        };
        info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["REDIS"] = redisConfiguration;
        info.Environment["NODE_ENV"] = "production";

        var process = ChildProcess.Start($"socketio-node-{index}", info);
        try
        {
            await process.WaitUntilServingAsync(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}/ready"), StartTimeout);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new ServerNode(process, new Endpoint(new Uri($"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"), SocketIoSocket.Protocol));
    }
}
