"""Early detection across posts: the same person seen in several reports (issue 15).

``names`` normalises names and document numbers, ``matching`` scores two
persons, ``index`` keeps the person index, links and alerts in step with
every report write (inside the writer's transaction), ``views`` answers
them within the caller's scope, and ``exchange`` builds the pseudonymous
export for partner agencies.
"""
