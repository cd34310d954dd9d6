from envoywatch.cli import app

app()
