using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Tcp;

/// <summary>
/// One side of a Hub TCP connection written by hand on a plain socket, frame by frame as the
/// framing of docs/protocol.md says (UTF-8 JSON ended by 0x1E): what a C or Python client would do, so a test
/// can send exactly what it means to, or nothing at all.
/// </summary>
public sealed class RawTcpConnection(TcpClient socket) : IDisposable
{
    private readonly NetworkStream _stream = socket.GetStream();
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[4096];

    /// <summary>The node's first frame: <c>{"connectionId":"…"}</c>, or the reason it refused.</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>Connects to a node's TCP endpoint and reads its greeting.</summary>
    public static async Task<RawTcpConnection> ConnectAsync(int port, string host = "127.0.0.1")
    {
        var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(host, port).Within();
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new RawTcpConnection(socket);
        connection.Greeting = await connection.ReadFrameAsync("the node's greeting") ?? throw new AssertionException("The node closed the connection instead of greeting.");
        return connection;
    }

    /// <summary>The SignalR JSON handshake; fails the test unless the node accepts it.</summary>
    public async Task HandshakeAsync()
    {
        await SendAsync("""{"protocol":"json","version":1}""");
        Assert.That(await ReadFrameAsync("the handshake response"), Is.EqualTo("{}"), "an empty handshake response means accepted");
    }

    public Task SendAsync(string json) => _stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\u001e")).AsTask().Within();

    /// <summary>The next frame, without its separator; null when the peer closed the socket.</summary>
    public async Task<string?> ReadFrameAsync(string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Bounded.Default);
        while (true)
        {
            var end = _pending.IndexOf(0x1e);
            if (end >= 0)
            {
                var frame = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_pending)[..end]);
                _pending.RemoveRange(0, end + 1);
                return frame;
            }

            var left = deadline - DateTime.UtcNow;
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer).AsTask().Within(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                throw new AssertionException($"Timed out waiting for {what}.");
            }

            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(_buffer.AsSpan(0, read));
        }
    }

    /// <summary>Frames until one contains <paramref name="fragment"/>, that one last; the node's close fails the test.</summary>
    public async Task<List<string>> ReadUntilAsync(string fragment, string what)
    {
        var frames = new List<string>();
        do
        {
            frames.Add(await ReadFrameAsync(what) ?? throw new AssertionException($"The node closed the connection before {what}."));
        }
        while (!frames[^1].Contains(fragment));
        return frames;
    }

    public void Dispose() => socket.Dispose();
}
