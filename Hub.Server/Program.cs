using Hub.Server;

return await HubServerApp.RunAsync(args);
