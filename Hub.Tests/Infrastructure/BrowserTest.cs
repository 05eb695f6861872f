using Microsoft.Playwright;

namespace Hub.Tests.Infrastructure;

/// <summary>A <see cref="ClusterTest"/> that opens pages in the shared Chromium (<see cref="BrowserPages"/>), closed with the test.</summary>
public abstract class BrowserTest(Topology topology) : ClusterTest(topology)
{
    private BrowserPages? _pages;

    protected Task<IPage> NewPageAsync()
    {
        _pages ??= Own(new BrowserPages());
        return _pages.NewPageAsync();
    }

    [TearDown]
    public async Task ScreenshotFailures()
    {
        if (_pages is not null)
        {
            await _pages.ScreenshotIfFailedAsync();
        }

        _pages = null;
    }
}
