using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// Hub nodes someone else started (<c>--url</c>, http:// for WebSockets or tcp:// for the TCP endpoint): the bench only connects, so every round runs
/// the servers as they are configured, and command counts need <c>--redis</c>.
/// </summary>
internal sealed class ExternalTarget(IReadOnlyList<Uri> hubUrls, RedisAdmin? redis, IHubCodec codec) : IBenchTarget
{
    public bool AppliesVariants => false;

    public IReadOnlyList<RedisAdmin> Redis => redis is null ? [] : [redis];

    public IReadOnlyList<ChildProcess> ServerProcesses => [];

    public Task<IReadOnlyList<Endpoint>> StartRoundAsync(Variant variant) =>
        Task.FromResult<IReadOnlyList<Endpoint>>([.. hubUrls.Select(u => new Endpoint(u, HubSocket.For(u, codec)))]);

    public Task EndRoundAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => redis?.DisposeAsync() ?? ValueTask.CompletedTask;
}
