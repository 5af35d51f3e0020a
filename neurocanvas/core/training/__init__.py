"""The training loop and its parts (one concern per module). No Qt: the app runs the loop in a
worker thread and reads its snapshots."""
