using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// Many idle connections to one node (<see cref="IdleSocket"/>s), their source addresses spread
/// over 127.0.0.2–254 so that the ephemeral ports of one address do not cap them; each hub
/// connection pings the server every <see cref="PingInterval"/> (a bare WebSocket has no
/// timeout to keep off), and each broadcast the bench marks is counted once per connection, so
/// the bench knows when the last one got it.
/// </summary>
internal sealed class IdleConnections : IIdleSocketOwner, IAsyncDisposable
{
    public const int SourceAddresses = 253;
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] MarkPrefix = "idle-broadcast-"u8.ToArray();

    private readonly Uri _hub;
    private readonly bool _bare;
    private readonly int _parallel;
    private readonly IdleSocket?[] _sockets;
    private readonly ErrorLog _errors;
    private readonly CancellationTokenSource _stop = new();
    private Task _pinging = Task.CompletedTask;
    private int _connected;
    private int _expected;
    private int _reached;
    private TaskCompletionSource<long> _allReached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private IdleConnections(Uri hub, bool bare, int capacity, int parallel, ErrorLog errors)
    {
        _hub = hub;
        _bare = bare;
        _parallel = parallel;
        _sockets = new IdleSocket?[capacity];
        _errors = errors;
    }

    /// <summary>Connections open so far.</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>
    /// Room for <paramref name="capacity"/> connections, none open yet (see <see cref="OpenAsync"/>):
    /// hub connections, or with <paramref name="bare"/> WebSockets without a hub protocol (the raw peer).
    /// </summary>
    public static IdleConnections Create(Uri hub, bool bare, int capacity, int parallel, ErrorLog errors)
    {
        var connections = new IdleConnections(hub, bare, capacity, parallel, errors);
        if (!bare)
        {
            connections._pinging = connections.PingAsync();
        }

        return connections;
    }

    /// <summary>
    /// Opens connections until <paramref name="upTo"/> are open, as many handshakes at a time as
    /// <see cref="Create"/> was given; stops at the first failure (logged) and returns false, so
    /// the count shows how far it got.
    /// </summary>
    public async Task<bool> OpenAsync(int upTo, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var from = Connected;
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(from, Math.Min(upTo, _sockets.Length) - from), new ParallelOptions { MaxDegreeOfParallelism = _parallel, CancellationToken = failed.Token }, async (i, token) =>
            {
                var source = new IPAddress([127, 0, 0, (byte)(2 + (i % SourceAddresses))]);
                try
                {
                    Volatile.Write(ref _sockets[i], await IdleSocket.ConnectAsync(_hub, source, this, _bare, token));
                    Interlocked.Increment(ref _connected);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    _errors.Add($"connection {i + 1} of {_sockets.Length} (from {source}): {ex.GetType().Name}: {ex.Message}");
                    await failed.CancelAsync();
                }
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A connection failed: the rest were not tried.
            return false;
        }

        return true;
    }

    /// <summary>The text of broadcast <paramref name="number"/>, which the connections recognize.</summary>
    public static string Mark(int number) => Encoding.ASCII.GetString(MarkPrefix) + number.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts counting broadcast <paramref name="number"/> (send it afterwards); the task ends with
    /// the timestamp at which the last open connection got it.
    /// </summary>
    public Task<long> Expect(int number)
    {
        _allReached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _reached, 0);
        Volatile.Write(ref _expected, number);
        return _allReached.Task;
    }

    /// <summary>Connections that got the expected broadcast so far.</summary>
    public int Reached => Volatile.Read(ref _reached);

    public void OnPayload(IdleSocket socket, ReadOnlySpan<byte> payload)
    {
        var at = payload.IndexOf(MarkPrefix);
        if (at < 0 || !int.TryParse(payload.Slice(at + MarkPrefix.Length, 6), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return;
        }

        if (number == Volatile.Read(ref _expected) && number > socket.LastSeen)
        {
            socket.LastSeen = number;
            if (Interlocked.Increment(ref _reached) == Connected)
            {
                _allReached.TrySetResult(Stopwatch.GetTimestamp());
            }
        }
    }

    public void OnClosed(IdleSocket socket, string reason)
    {
        if (!_stop.IsCancellationRequested)
        {
            _errors.Add($"an idle connection ended: {reason}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }

        _stop.Dispose();
    }

    /// <summary>Pings every connection once per interval, spread evenly over it rather than all at once.</summary>
    private async Task PingAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < _sockets.Length && !_stop.IsCancellationRequested; i++)
            {
                if (i % 256 == 0 && (PingInterval * i / _sockets.Length) - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (Volatile.Read(ref _sockets[i]) is not { } socket)
                {
                    continue;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(PingTimeout);
                try
                {
                    await socket.PingAsync(timeout.Token);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    _errors.Add($"a ping failed: {ex.GetType().Name}: {ex.Message}");
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
            }

            var rest = PingInterval - Stopwatch.GetElapsedTime(started);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
