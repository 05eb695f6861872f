using System.Buffers.Text;
using System.Diagnostics;

namespace Hub.Bench.Load;

/// <summary>
/// The text the bench sends, "{publisher}:{sequence}:{stopwatch timestamp}:xxx…": receivers
/// check each publisher's sequence for losses and take latency from the timestamp (publishers
/// and receivers share this process, so its clock).
/// </summary>
internal static class MessageText
{
    public static string Format(int publisher, long sequence, int length)
    {
        var text = $"{publisher}:{sequence}:{Stopwatch.GetTimestamp()}:";
        return text.Length >= length ? text : text + new string('x', length - text.Length);
    }

    public static bool TryParse(ReadOnlySpan<byte> text, out int publisher, out long sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        return Utf8Parser.TryParse(text, out publisher, out var used) && Next(ref text, used)
            && Utf8Parser.TryParse(text, out sequence, out used) && Next(ref text, used)
            && Utf8Parser.TryParse(text, out timestamp, out _);
    }

    private static bool Next(ref ReadOnlySpan<byte> text, int used)
    {
        if (used >= text.Length || text[used] != (byte)':')
        {
            return false;
        }

        text = text[(used + 1)..];
        return true;
    }
}
