using System.Runtime.InteropServices;

namespace Hub.Bench.Reporting;

/// <summary>What the figures were measured on, so that a reader can tell two runs apart.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, double MemoryGiB, string Os, string Runtime, string? Redis)
{
    public static MachineInfo Current(string? redisVersion) => new(
        CpuModel(),
        Environment.ProcessorCount,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30), 1),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        redisVersion);

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        var line = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
            : null;
        return line?[(line.IndexOf(':') + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}
