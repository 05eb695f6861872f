using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;

namespace Hub.Bench.Load;

/// <summary>
/// The bench's side of the moved clients' load process (<see cref="FailoverWorker"/>): starts
/// this same bench as a child, passes its errors on, and asks it, one command at a time, for what
/// the round needs. Every wait is bounded; dispose stops it, or kills it when it does not go.
/// </summary>
internal sealed class FailoverWorkerProcess : IAsyncDisposable
{
    public const string Name = "the moved clients' load process";

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly ErrorLog _errors;
    private readonly Channel<string> _answers = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _reading;
    private readonly Task<string> _stderr;
    private volatile bool _stopping;
    private int _open;

    private FailoverWorkerProcess(Process process, ErrorLog errors)
    {
        _process = process;
        _errors = errors;
        _stderr = process.StandardError.ReadToEndAsync();
        _reading = ReadAsync();
    }

    /// <summary>Clients it has connected so far, as it last said.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The CPU time it has used so far, as the system counts it.</summary>
    public TimeSpan CpuTime => BenchChild.CpuTime(_process);

    public static FailoverWorkerProcess Start(int killNode, int publishers, IEnumerable<Uri> nodes, ErrorLog errors)
    {
        var process = BenchChild.Start(FailoverWorker.Arguments(killNode, publishers, nodes), Name);
        return new FailoverWorkerProcess(process, errors);
    }

    /// <summary>Connects the moved clients of a round of <paramref name="total"/> in <paramref name="groups"/>; ends with how many it connected.</summary>
    public async Task<int> ConnectAsync(int total, int groups, TimeSpan timeout, CancellationToken cancellationToken) =>
        Number(await AskAsync($"connect {total} {groups}", "connected", timeout, cancellationToken));

    /// <summary>Tells it the kill's timestamp; returns once it knows, before the node goes.</summary>
    public Task MarkKillAsync(long at, CancellationToken cancellationToken) =>
        AskAsync($"kill {at.ToString(CultureInfo.InvariantCulture)}", "killed", AnswerTimeout, cancellationToken);

    /// <summary>Its clients back and resumed since the kill.</summary>
    public async Task<int> ResumedAsync(CancellationToken cancellationToken) =>
        Number(await AskAsync("resumed", "resumed", AnswerTimeout, cancellationToken));

    /// <summary>Tells it what each publisher had accepted per group, once the publishers stopped.</summary>
    public async Task AcceptedAsync(IReadOnlyList<long[]> acceptedPerGroup)
    {
        for (var p = 0; p < acceptedPerGroup.Count; p++)
        {
            await SendAsync($"accepted {p} {string.Join(' ', acceptedPerGroup[p])}");
        }
    }

    /// <summary>The messages its clients still lack of what it was told was accepted.</summary>
    public async Task<long> MissingAsync(CancellationToken cancellationToken) =>
        long.Parse(await AskAsync("missing", "missing", AnswerTimeout, cancellationToken), CultureInfo.InvariantCulture);

    public async Task<FailoverWorkerReport> ReportAsync(CancellationToken cancellationToken) =>
        JsonSerializer.Deserialize<FailoverWorkerReport>(await AskAsync("report", "report", AnswerTimeout, cancellationToken))
            ?? throw new IOException($"{Name} sent an empty report.");

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await BenchChild.StopAsync(_process, Name, BenchChild.ExitWait * 3);

        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Sends a command and returns what follows <paramref name="answer"/> in its answer line.</summary>
    private async Task<string> AskAsync(string command, string answer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SendAsync(command);
        var line = await _answers.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken);
        return line == answer ? "" : line.StartsWith(answer + " ", StringComparison.Ordinal)
            ? line[(answer.Length + 1)..]
            : throw new IOException($"{Name} answered '{command.Split(' ')[0]}' with '{line}'.");
    }

    private Task SendAsync(string line) => BenchChild.SendAsync(_process, Name, line);

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("error ", StringComparison.Ordinal))
            {
                _errors.Add($"{Name}: {line["error ".Length..]}");
            }
            else if (line.StartsWith("open ", StringComparison.Ordinal))
            {
                Volatile.Write(ref _open, Number(line["open ".Length..]));
            }
            else
            {
                if (line.StartsWith("connected ", StringComparison.Ordinal))
                {
                    Volatile.Write(ref _open, Number(line["connected ".Length..]));
                }

                _answers.Writer.TryWrite(line);
            }
        }

        // Its stdout ended: it exited. Whatever still waits on it fails now rather than at its timeout.
        var gone = await BenchChild.ExitedAsync(_stderr, Name);
        if (!_stopping)
        {
            _errors.Add(gone.Message);
        }

        _answers.Writer.TryComplete(gone);
    }
}
