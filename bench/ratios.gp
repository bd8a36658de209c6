# Each peer's median as a ratio to ours (log scale; above 1: ours is better), one group of bars
# per figure. Run by bench/run.sh: gnuplot bench/ratios.gp (paths relative to this file's dir
# are passed in by run.sh through `dat` and `png`).
if (!exists("dat")) dat = "results/ratios.dat"
if (!exists("png")) png = "results/ratios.png"
set terminal pngcairo size 1400,760 font ",10"
set output png
set title "Peers relative to ours (peer / ours, log scale; above 1 = ours better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [0.1:*]
set bmargin 12
set grid ytics
set ylabel "ratio to ours"
set xtics rotate by 30 right noenhanced
set key outside right top noenhanced
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
ncols = system("head -1 '".dat."' | wc -w") + 0
plot for [i=2:ncols] dat using i:xtic(1) title columnheader(i)
