using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hub.Testing;

/// <summary>POSIX signals to the processes started here: a stop, a pause, a crash.</summary>
internal static class Signals
{
    public const int Terminate = 15;
    public const int Stop = 19;
    public const int Continue = 18;

    public static void Send(Process process, int signal, string what)
    {
        if (SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"Signal {signal} could not be sent to {what} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
