using System.Diagnostics;

namespace Hub.Bench.Reporting;

/// <summary>
/// One status line a second while a round runs: what it is doing and the current send and
/// delivery rates. Rewritten in place on a terminal; a plain line each second in a log.
/// </summary>
internal sealed class ProgressLine : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile string _label = "starting";
    private volatile Func<(long Sends, long Deliveries)>? _totals;

    public ProgressLine()
    {
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Shows <paramref name="label"/>; new <paramref name="totals"/> start the rates afresh (a new round's counters start at 0).</summary>
    public void Show(string label, Func<(long Sends, long Deliveries)>? totals = null)
    {
        _label = label;
        if (totals is not null)
        {
            _totals = totals;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!Console.IsErrorRedirected)
        {
            Console.Error.WriteLine();
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        (long Sends, long Deliveries) last = default;
        var lastAt = Stopwatch.GetTimestamp();
        Func<(long, long)>? lastTotals = null;
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            var totals = _totals;
            var now = totals?.Invoke() ?? default;
            if (totals != lastTotals)
            {
                (last, lastTotals) = (default, totals);
            }

            var seconds = Stopwatch.GetElapsedTime(lastAt).TotalSeconds;
            var line = $"{_label,-36} sends {(now.Sends - last.Sends) / seconds,9:N0}/s   deliveries {(now.Deliveries - last.Deliveries) / seconds,10:N0}/s";
            (last, lastAt) = (now, Stopwatch.GetTimestamp());
            if (Console.IsErrorRedirected)
            {
                Console.Error.WriteLine(line);
            }
            else
            {
                Console.Error.Write($"\r{line}   ");
            }
        }
    }
}
