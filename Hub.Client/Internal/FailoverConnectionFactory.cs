using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace Hub.Client.Internal;

/// <summary>
/// Connects to the first of several node URLs that answers, starting from the one that worked
/// last, over HTTP (WebSockets and the rest) or raw TCP (<c>tcp://</c>) as each URL says.
/// SignalR's own reconnect calls this again, so a reconnect can land on any node. When the one
/// that worked last does not answer, the others are tried from a random one on: the clients of a
/// node that died then spread over all the rest, instead of every one of them landing on the next.
/// </summary>
internal sealed class FailoverConnectionFactory(HttpConnectionFactory http, TcpConnectionFactory tcp, IReadOnlyList<Uri> urls) : IConnectionFactory
{
    private int _current;

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        Exception? waitAsked = null;
        foreach (var index in Order(_current, urls.Count))
        {
            try
            {
                var url = urls[index];
                var connection = TcpConnectionFactory.IsTcp(url)
                    ? await tcp.ConnectAsync(new UriEndPoint(url), cancellationToken)
                    : await http.ConnectAsync(new UriEndPoint(url), cancellationToken);
                _current = index;
                return connection;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = ex;
                waitAsked ??= RetryHint.Of(ex) is null ? null : ex;
            }
        }

        // Next time, start after the one that failed first. A node that asked to be left alone a
        // while is what the wait before the next attempt heeds, whichever failed last.
        _current = (_current + 1) % urls.Count;
        throw waitAsked ?? last!;
    }

    /// <summary>
    /// The order of one attempt over <paramref name="count"/> URLs: <paramref name="current"/>
    /// first, then the others in turn from a random one on. The bench's failover clients use it too.
    /// </summary>
    public static IEnumerable<int> Order(int current, int count)
    {
        yield return current;
        var others = count - 1;
        var firstOther = others > 1 ? Random.Shared.Next(others) : 0;
        for (var i = 0; i < others; i++)
        {
            yield return (current + 1 + ((firstOther + i) % others)) % count;
        }
    }
}
