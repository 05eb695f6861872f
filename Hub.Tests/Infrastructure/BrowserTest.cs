using Microsoft.Playwright;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A <see cref="ClusterTest"/> that opens pages in the shared Chromium: each in its own browser
/// context (its own cookies and storage, as another user would have), closed with the test.
/// </summary>
public abstract class BrowserTest(Topology topology) : ClusterTest(topology)
{
    private readonly List<IPage> _pages = [];

    protected async Task<IPage> NewPageAsync()
    {
        var browser = await SharedBrowser.GetAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1100, Height = 700 },
            ColorScheme = ColorScheme.Light,
        }).Within();
        Own(new ClosingContext(context));
        context.SetDefaultTimeout((float)SharedBrowser.Timeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)SharedBrowser.Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync().Within();
        _pages.Add(page);
        return page;
    }

    /// <summary>A failed test leaves a screenshot of each of its pages in TestResults/browser-failures.</summary>
    [TearDown]
    public async Task ScreenshotFailures()
    {
        var test = TestContext.CurrentContext;
        if (test.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            var directory = Directory.CreateDirectory(Path.Combine(RepoPaths.TestResults, "browser-failures")).FullName;
            var name = string.Concat(test.Test.FullName.Select(c => char.IsLetterOrDigit(c) ? c : '_'));
            for (var i = 0; i < _pages.Count; i++)
            {
                if (!_pages[i].IsClosed)
                {
                    var path = Path.Combine(directory, $"{name}-{i}.png");
                    await _pages[i].ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true }).Within();
                    TestContext.AddTestAttachment(path);
                }
            }
        }

        _pages.Clear();
    }

    private sealed class ClosingContext(IBrowserContext context) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(context.CloseAsync().Within());
    }
}
