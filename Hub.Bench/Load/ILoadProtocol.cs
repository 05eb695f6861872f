namespace Hub.Bench.Load;

/// <summary>How the load generator connects to one kind of server.</summary>
internal interface ILoadProtocol
{
    /// <summary>A short name for tables and errors ("signalr-json over websocket").</summary>
    string Name { get; }

    /// <param name="endpoint">A node's endpoint, as its server kind gives it.</param>
    /// <param name="receiveBufferBytes">
    /// The TCP receive buffer, 0 for the system's: a small one makes a client that stops reading
    /// fill the server's buffers within a second instead of after megabytes of loopback buffering.
    /// </param>
    Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a socket and runs its protocol's handshake on it, together within a bound so that a
    /// server that never answers fails the round; a socket whose handshake fails is disposed.
    /// </summary>
    static async Task<ILoadSocket> OpenAsync<TSocket>(Func<CancellationToken, Task<TSocket>> open, Func<TSocket, CancellationToken, Task> handshake, CancellationToken cancellationToken)
        where TSocket : ILoadSocket
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var socket = await open(timeout.Token);
        try
        {
            await handshake(socket, timeout.Token);
            return socket;
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }
}
