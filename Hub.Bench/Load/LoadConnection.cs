namespace Hub.Bench.Load;

/// <summary>
/// A load socket with its receive loop running: every message and answer handed on, a server
/// close or a broken connection before the bench let go reported as an error of the round.
/// </summary>
internal sealed class LoadConnection : IAsyncDisposable
{
    private readonly ILoadSocket _socket;
    private readonly string _name;
    private readonly LoadEventHandler _handle;
    private readonly ErrorLog _errors;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private LoadConnection(ILoadSocket socket, string name, LoadEventHandler handle, ErrorLog errors)
    {
        _socket = socket;
        _name = name;
        _handle = handle;
        _errors = errors;
    }

    public ILoadSocket Socket => _socket;

    public static async Task<LoadConnection> OpenAsync(Endpoint endpoint, string name, LoadEventHandler handle, ErrorLog errors)
    {
        var socket = await endpoint.ConnectAsync();
        var connection = new LoadConnection(socket, name, handle, errors);
        connection._loop = Task.Run(connection.ReceiveAsync);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _socket.DisposeAsync();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        try
        {
            await _socket.ReceiveAllAsync(OnEvent, _stop.Token);
            if (!_stop.IsCancellationRequested)
            {
                _errors.Add($"{_name}: the server closed the connection.");
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The bench let go.
        }
        catch (Exception ex)
        {
            _errors.Add($"{_name}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void OnEvent(LoadEvent loadEvent)
    {
        if (loadEvent.Kind == LoadEventKind.Closed)
        {
            _errors.Add($"{_name}: the server closed the session: {loadEvent.Error}");
            return;
        }

        _handle(loadEvent);
    }
}
