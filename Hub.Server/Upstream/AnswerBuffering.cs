namespace Hub.Server.Upstream;

/// <summary>
/// Reads the backend's whole answer inside each attempt, so that the attempt's timeout covers a
/// body that is slow to come (HttpClient would read it after the pipeline, beyond every timeout)
/// and a 5xx is retried only once read.
/// </summary>
internal sealed class AnswerBuffering : DelegatingHandler
{
    // The largest message data Hub carries (Hub:Limits:MaxMessageBytes at most): a call's result is one.
    public const int MaxAnswerBytes = 16 * 1024 * 1024;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            await response.Content.LoadIntoBufferAsync(MaxAnswerBytes, cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
