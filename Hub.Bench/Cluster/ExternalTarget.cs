namespace Hub.Bench.Cluster;

/// <summary>
/// Nodes someone else started (<c>--url</c>): the bench only connects, so every round runs
/// the servers as they are configured, and command counts need <c>--redis</c>.
/// </summary>
internal sealed class ExternalTarget(IReadOnlyList<Uri> hubUrls, RedisAdmin? redis) : IBenchTarget
{
    public bool AppliesVariants => false;

    public RedisAdmin? Redis => redis;

    public IReadOnlyList<ChildProcess> ServerProcesses => [];

    public Task<IReadOnlyList<Uri>> StartRoundAsync(Variant variant) => Task.FromResult(hubUrls);

    public Task EndRoundAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => redis?.DisposeAsync() ?? ValueTask.CompletedTask;
}
