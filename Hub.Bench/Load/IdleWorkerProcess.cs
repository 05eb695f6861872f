using System.Diagnostics;
using System.Globalization;

namespace Hub.Bench.Load;

/// <summary>
/// The bench's side of one load process (<see cref="IdleWorker"/>): starts this same bench as a
/// child, reads its lines as they come, passes its errors on, and asks it to expect and tally
/// broadcasts. Every wait is bounded; dispose stops it, or kills it when it does not go.
/// </summary>
internal sealed class IdleWorkerProcess : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _name;
    private readonly ErrorLog _errors;
    private readonly Task _reading;
    private readonly Task<string> _stderr;
    private readonly TaskCompletionSource<int> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _expecting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<long> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<(int Reached, int Connected)> _tally = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private int _open;

    private IdleWorkerProcess(Process process, string name, ErrorLog errors)
    {
        _process = process;
        _name = name;
        _errors = errors;
        _stderr = process.StandardError.ReadToEndAsync();
        _reading = ReadAsync();
    }

    /// <summary>Connections open in it so far, as it last said.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The CPU time it has used so far, as the system counts it.</summary>
    public TimeSpan CpuTime => BenchChild.CpuTime(_process);

    /// <summary>Ends with the connections it opened once it is done opening (fewer than asked when one failed; the error is logged).</summary>
    public Task<int> Connected => _connected.Task;

    /// <summary>Starts a load process opening <paramref name="count"/> idle connections to <paramref name="hub"/>.</summary>
    public static IdleWorkerProcess Start(Uri hub, int count, bool bare, string name, ErrorLog errors)
    {
        var process = BenchChild.Start(IdleWorker.Arguments(hub, count, bare), name);
        return new IdleWorkerProcess(process, name, errors);
    }

    /// <summary>Makes it count broadcast <paramref name="number"/>; the task ends with the timestamp at which its last connection got it.</summary>
    public async Task<Task<long>> ExpectAsync(int number, CancellationToken cancellationToken)
    {
        _expecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = _reached.Task;
        await SendAsync($"expect {number}");
        await _expecting.Task.WaitAsync(AnswerTimeout, cancellationToken);
        return reached;
    }

    /// <summary>Its connections that got the expected broadcast, and those open.</summary>
    public async Task<(int Reached, int Connected)> TallyAsync(CancellationToken cancellationToken)
    {
        _tally = new TaskCompletionSource<(int, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync("tally");
        return await _tally.Task.WaitAsync(AnswerTimeout, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await BenchChild.StopAsync(_process, _name, BenchChild.ExitWait);

        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private Task SendAsync(string line) => BenchChild.SendAsync(_process, _name, line);

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var rest = space < 0 ? "" : line[(space + 1)..];
            switch (space < 0 ? line : line[..space])
            {
                case "open":
                    Volatile.Write(ref _open, int.Parse(rest, CultureInfo.InvariantCulture));
                    break;
                case "connected":
                    Volatile.Write(ref _open, int.Parse(rest, CultureInfo.InvariantCulture));
                    _connected.TrySetResult(_open);
                    break;
                case "error":
                    _errors.Add($"{_name}: {rest}");
                    break;
                case "expecting":
                    _expecting.TrySetResult();
                    break;
                case "reached":
                    _reached.TrySetResult(long.Parse(rest[(rest.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));
                    break;
                case "tally" when rest.Split(' ') is [var reached, var connected]:
                    _tally.TrySetResult((int.Parse(reached, CultureInfo.InvariantCulture), int.Parse(connected, CultureInfo.InvariantCulture)));
                    break;
                default:
                    _errors.Add($"{_name} wrote what the bench does not understand: {line}");
                    break;
            }
        }

        // Its stdout ended: it exited. Whatever still waits on it fails now rather than at its timeout.
        var gone = await BenchChild.ExitedAsync(_stderr, _name);
        if (!_stopping)
        {
            _errors.Add(gone.Message);
        }

        _connected.TrySetException(gone);
        _expecting.TrySetException(gone);
        _reached.TrySetException(gone);
        _tally.TrySetException(gone);
    }
}
