namespace Hub.Server.Presence;

/// <summary>
/// Whether what a previous run of this node's id left in presence has been cleared. Until it has,
/// the node lists no connection of its own there: clearing takes out everything listed under the
/// node's id, new connections included. Done at start when Redis answers then, else by the first
/// sweep that reaches it.
/// </summary>
internal sealed class PreviousRunCleared
{
    private volatile bool _done;

    public bool IsDone => _done;

    public void Done() => _done = true;
}
