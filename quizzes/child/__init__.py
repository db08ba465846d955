"""Code that runs in the quiz worker process (torch imported once) and in the fork it makes for each job."""
