using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace Hub.Client.Internal;

/// <summary>
/// Connects to the first of several node URLs that answers, starting from the one that worked
/// last, over HTTP (WebSockets and the rest) or raw TCP (<c>tcp://</c>) as each URL says.
/// SignalR's own reconnect calls this again, so a reconnect can land on any node.
/// </summary>
internal sealed class FailoverConnectionFactory(HttpConnectionFactory http, TcpConnectionFactory tcp, IReadOnlyList<Uri> urls) : IConnectionFactory
{
    private int _current;

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < urls.Count; attempt++)
        {
            var index = (_current + attempt) % urls.Count;
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
            }
        }

        // Next time, start after the one that failed first.
        _current = (_current + 1) % urls.Count;
        throw last!;
    }
}
