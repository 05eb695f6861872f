namespace Hub.Bench.Load;

/// <summary>
/// A hub socket with its receive loop running: every record parsed and handed on, a server
/// close or a broken socket before the bench let go reported as an error of the round.
/// </summary>
internal sealed class LoadConnection : IAsyncDisposable
{
    private readonly HubSocket _socket;
    private readonly string _name;
    private readonly FrameHandler _handle;
    private readonly ErrorLog _errors;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private LoadConnection(HubSocket socket, string name, FrameHandler handle, ErrorLog errors)
    {
        _socket = socket;
        _name = name;
        _handle = handle;
        _errors = errors;
    }

    public HubSocket Socket => _socket;

    public static async Task<LoadConnection> OpenAsync(Uri hubUrl, string name, FrameHandler handle, ErrorLog errors)
    {
        var connection = new LoadConnection(await HubSocket.ConnectAsync(hubUrl), name, handle, errors);
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
            await _socket.ReceiveAllAsync(OnRecord, _stop.Token);
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

    private void OnRecord(ReadOnlySpan<byte> record)
    {
        var frame = HubFrame.Parse(record);
        if (frame.Type == HubFrame.Close)
        {
            _errors.Add($"{_name}: the server closed the hub connection: {frame.Error ?? "no error given"}");
            return;
        }

        _handle(frame);
    }
}
