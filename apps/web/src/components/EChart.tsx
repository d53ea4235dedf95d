"use client";
// A thin React wrapper over ECharts (tree-shaken: only the charts and components used here).
import { useEffect, useRef } from "react";
import * as echarts from "echarts/core";
import { LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TooltipComponent, TitleComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function EChart({ option, height = 320, label }: { option: ChartOption; height?: number; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const instance = echarts.init(el, undefined, { renderer: "canvas" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    // ECharts' own aria description would replace the label below; the label says what matters.
    chart.current?.setOption({ aria: { enabled: false }, animation: false, ...option }, true);
  }, [option]);

  return (
    <div role="img" aria-label={label}>
      <div ref={ref} className="echart" style={{ height }} />
    </div>
  );
}
