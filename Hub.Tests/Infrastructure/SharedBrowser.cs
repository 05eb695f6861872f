using Microsoft.Playwright;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// One Chromium for the whole test run, launched on first use (a launch costs about a second;
/// each test gets its own isolated <see cref="IBrowserContext"/> instead). It is the system's
/// Debian Chromium: Playwright's own browser download is never used, the machines have no internet.
/// </summary>
public static class SharedBrowser
{
    /// <summary>Every Playwright wait (actions, navigation, expectations) gives up after this.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string[] Candidates = ["chromium", "chromium-browser"];
    private static readonly SemaphoreSlim Gate = new(1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    public static async Task<IBrowser> GetAsync()
    {
        await Gate.WaitAsync().Within();
        try
        {
            if (_browser is { IsConnected: true })
            {
                return _browser;
            }

            var executable = Candidates.Select(ProgramPath.Find).FirstOrDefault(path => path is not null)
                ?? throw new InvalidOperationException(
                    "Chromium is not installed or not on PATH, so the browser tests cannot run. Install it " +
                    "(Debian: apt-get install -y chromium) or run ./test.sh, which does.");

            Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
            _playwright ??= await Playwright.CreateAsync().Within();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Timeout = (float)Timeout.TotalMilliseconds,
                // No sandbox: CI runs as root in a container. The rest keeps a browser without
                // internet from trying to reach Google's services.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            }).Within();
            return _browser;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync().Within();
            _browser = null;
        }

        _playwright?.Dispose();
        _playwright = null;
    }
}
