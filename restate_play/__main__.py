from restate_play.quick import main

main()
