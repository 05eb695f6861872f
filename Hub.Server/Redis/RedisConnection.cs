using Hub.Server.Cluster;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>
/// The node's one multiplexer. Commands fail fast while Redis is unreachable instead of
/// queueing in StackExchange.Redis's backlog: a send must either reach the bus now or
/// fail, never reach it minutes later or reach only this node.
/// </summary>
internal sealed partial class RedisConnection(IOptions<ClusterOptions> options, ILogger<RedisConnection> logger)
    : IHostedService, IAsyncDisposable
{
    private ConnectionMultiplexer? _multiplexer;

    public IConnectionMultiplexer Multiplexer =>
        _multiplexer ?? throw new InvalidOperationException("The Redis connection has not been started.");

    public IDatabase Database => Multiplexer.GetDatabase();

    public bool IsConnected => _multiplexer?.IsConnected == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(options.Value.Redis!);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= $"hub-{options.Value.NodeId}";
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
        config.SyncTimeout = Math.Min(config.SyncTimeout, 5000);
        config.AsyncTimeout = Math.Min(config.AsyncTimeout, 5000);
        // Try again every second while Redis is away, so cross-node delivery is back within
        // seconds of its return rather than after an exponential backoff.
        config.ReconnectRetryPolicy ??= new LinearRetry(1000);
        // Read Redis's answers on the thread pool, whose workers are awake and spinning anyway at
        // load, rather than on the library's own threads, which sleep between answers: each
        // answer then costs no wake-up of a sleeping thread before it reaches the thread pool.
        config.SocketManager = SocketManager.ThreadPool;

        Log.Connecting(logger, config.ToString(includePassword: false), options.Value.NodeId);
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(config);
        _multiplexer.ConnectionFailed += (_, e) => Log.ConnectionFailed(logger, e.EndPoint?.ToString(), e.FailureType, e.Exception);
        _multiplexer.ConnectionRestored += (_, e) => Log.ConnectionRestored(logger, e.EndPoint?.ToString());
        if (!_multiplexer.IsConnected)
        {
            Log.NotConnectedAtStart(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            await _multiplexer.CloseAsync(allowCommandsToComplete: true);
            _multiplexer.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Connecting to Redis {Configuration} as node {NodeId}.")]
        public static partial void Connecting(ILogger logger, string configuration, string nodeId);

        [LoggerMessage(2, LogLevel.Error, "Redis connection to {EndPoint} failed ({FailureType}); sends fail until it is restored.")]
        public static partial void ConnectionFailed(ILogger logger, string? endPoint, ConnectionFailureType failureType, Exception? exception);

        [LoggerMessage(3, LogLevel.Information, "Redis connection to {EndPoint} restored.")]
        public static partial void ConnectionRestored(ILogger logger, string? endPoint);

        [LoggerMessage(4, LogLevel.Warning, "Redis is not reachable at start; the node keeps trying and refuses sends meanwhile.")]
        public static partial void NotConnectedAtStart(ILogger logger);
    }
}
