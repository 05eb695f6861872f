using Hub.Tests.Infrastructure;

namespace Hub.Tests;

/// <summary>Stops what the whole run shared.</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeTearDown]
    public Task StopSharedRedis() => SharedRedis.StopAsync();

    [OneTimeTearDown]
    public Task StopSharedBrowser() => SharedBrowser.StopAsync();
}
