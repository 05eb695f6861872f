namespace Hub.Client.Internal;

/// <summary>
/// A node's request to wait before trying it again — HTTP's <c>Retry-After</c> on a 503, the TCP
/// refusal's <c>retryAfter</c> — carried on the exception that failed the connect, where the
/// reconnect policy (<see cref="JitteredBackoffPolicy"/>) finds it as the retry's reason.
/// </summary>
internal static class RetryHint
{
    private const string Key = "Hub.RetryAfter";

    public static TException Attach<TException>(TException exception, TimeSpan wait)
        where TException : Exception
    {
        exception.Data[Key] = wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        return exception;
    }

    /// <summary>The wait asked for by the refusal that is, or is inside, <paramref name="exception"/>; null when none asked.</summary>
    public static TimeSpan? Of(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.Data[Key] is TimeSpan wait)
            {
                return wait;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(Of).FirstOrDefault(w => w is not null);
            }
        }

        return null;
    }
}
