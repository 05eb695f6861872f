using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hub.Testing;

/// <summary>
/// A minimal RESP client for the few admin commands sent to the redis-server started here (PING, FLUSHALL, INFO).
/// Raw, so the bench needs no Redis library and counts none of its own traffic by surprise.
/// </summary>
internal sealed class RedisAdmin(string host, int port) : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);
    private TcpClient? _client;
    private Stream? _stream;
    private StreamReader? _reader;

    public string Host { get; } = host;

    public int Port { get; } = port;

    public async Task<string> CommandAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        var reader = await ConnectedAsync(timeout.Token);
        await _stream!.WriteAsync(Encode(args), timeout.Token);
        return await ReadReplyAsync(reader, timeout.Token);
    }

    public static byte[] Encode(IReadOnlyList<string> args)
    {
        var builder = new StringBuilder().Append('*').Append(args.Count).Append("\r\n");
        foreach (var arg in args)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    public static async Task<(TcpClient Client, Stream Stream)> OpenAsync(string host, int port, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
            return (client, client.GetStream());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        _client?.Dispose();
    }

    private async Task<StreamReader> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_reader is null)
        {
            (_client, _stream) = await OpenAsync(Host, Port, cancellationToken);
            _reader = new StreamReader(_stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        }

        return _reader;
    }

    private static async Task<string> ReadReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("Redis closed the connection.");
        switch (line[0])
        {
            case '+':
            case ':':
                return line[1..];
            case '-':
                throw new InvalidOperationException($"Redis answered: {line[1..]}");
            case '$':
                var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return "";
                }

                // INFO is ASCII, so characters and bytes agree; +2 for the closing CRLF.
                var buffer = new char[length + 2];
                await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
                return new string(buffer, 0, length);
            default:
                throw new InvalidOperationException($"Unexpected Redis reply: {line}");
        }
    }
}
