using System.Net.Sockets;
using System.Text;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.WebSockets;

/// <summary>
/// Bytes sent on a fresh socket, as written, and what the node answers first: the status code of
/// its response, <see cref="Closed"/> when it closed the connection without one, or
/// <see cref="Reset"/> when the connection was reset before a response could be read.
/// </summary>
public static class RawExchange
{
    public const int Closed = 0;
    public const int Reset = -1;

    /// <summary>
    /// Writes <paramref name="parts"/> with <paramref name="gap"/> between them while reading the
    /// answer, for at most <paramref name="wait"/>.
    /// </summary>
    public static async Task<int> StatusAsync(HubNode node, IReadOnlyList<byte[]> parts, TimeSpan gap = default, TimeSpan? wait = null)
    {
        using var socket = new TcpClient { NoDelay = true };
        await socket.ConnectAsync(node.BaseUrl.Host, node.BaseUrl.Port).Within();
        var stream = socket.GetStream();
        using var done = new CancellationTokenSource();
        var writing = WriteAsync(stream, parts, gap, done.Token);
        try
        {
            return await ReadStatusAsync(stream).Within(wait ?? TimeSpan.FromSeconds(20));
        }
        finally
        {
            await done.CancelAsync();
            await writing;
        }
    }

    private static async Task WriteAsync(NetworkStream stream, IReadOnlyList<byte[]> parts, TimeSpan gap, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < parts.Count; i++)
            {
                if (i > 0 && gap > TimeSpan.Zero)
                {
                    await Task.Delay(gap, cancellationToken);
                }

                await stream.WriteAsync(parts[i], cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The node answered (and may have closed) before everything was sent.
        }
    }

    private static async Task<int> ReadStatusAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        try
        {
            while (head.Count < 4 || !head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
            {
                if (await stream.ReadAsync(one) == 0)
                {
                    break;
                }

                head.Add(one[0]);
            }
        }
        catch (IOException) when (head.Count == 0)
        {
            return Reset;
        }

        var line = Encoding.ASCII.GetString([.. head]).Split("\r\n")[0];
        return line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(9, 3), out var status) ? status : Closed;
    }
}
