using Microsoft.Playwright;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// Pages in the shared Chromium, each in its own browser context (its own cookies and storage, as
/// another person's browser would have), closed on dispose. A failed test leaves a screenshot of
/// each open page in TestResults/browser-failures.
/// </summary>
internal sealed class BrowserPages : IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<IPage> _pages = [];

    public async Task<IPage> NewPageAsync()
    {
        var browser = await SharedBrowser.GetAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1100, Height = 700 },
            ColorScheme = ColorScheme.Light,
        }).Within();
        _contexts.Add(context);
        context.SetDefaultTimeout((float)SharedBrowser.Timeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)SharedBrowser.Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync().Within();
        _pages.Add(page);
        return page;
    }

    /// <summary>Call from a [TearDown] that runs before the pages are closed.</summary>
    public async Task ScreenshotIfFailedAsync()
    {
        var test = TestContext.CurrentContext;
        if (test.Result.Outcome.Status != NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            return;
        }

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

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync().Within();
        }

        _contexts.Clear();
        _pages.Clear();
    }
}
