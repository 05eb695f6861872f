namespace Hub.Testing;

/// <summary>How a setup of several redis-servers (the tests' Sentinel setup, <see cref="RedisCluster"/>) stops: every server, even when one fails to, then their directory.</summary>
internal static class RedisSetupDisposal
{
    public static async Task DisposeAllAsync(IEnumerable<IAsyncDisposable> servers, DirectoryInfo directory, string setup)
    {
        var failures = new List<Exception>();
        foreach (var server in servers)
        {
            try
            {
                await server.DisposeAsync();
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }

        directory.Delete(recursive: true);
        if (failures.Count > 0)
        {
            throw new AggregateException($"Stopping the {setup} failed.", failures);
        }
    }
}
