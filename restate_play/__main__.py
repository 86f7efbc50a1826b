from restate_play.cli import main

main()
