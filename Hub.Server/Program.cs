using Hub.Server;

var app = HubServerApp.Build(args);
app.Run();
