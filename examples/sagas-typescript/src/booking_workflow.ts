// Sagas in TypeScript: book a flight, a car and a hotel; if a step fails for good, undo the earlier
// ones in reverse order. The same service, handler and request body as restate-play's Python port,
// so `restate-play run sagas --service-cmd "npx tsx src/booking_workflow.ts"` checks this code
// against the pattern's scenario.
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { latency, record, shouldFail } from "./world.js";

type BookingRequest = {
  customerId: string;
  flights: { flightId: string; passengerName: string };
  car: { pickupLocation: string; rentalDate: string };
  hotel: { arrivalDate: string; departureDate: string };
};

const FULLY_BOOKED_ARRIVALS = new Set(["2024-12-16"]);

// The emulated providers: their latency, a transient failure now and then, and the ledger line.
async function callApi(ctx: restate.Context, point: string, customerId: string): Promise<void> {
  await latency(point, customerId);
  if (shouldFail(point, customerId)) {
    record(`${point}.unavailable`, { customer: customerId }, ctx.request().id);
    throw new Error(`[👻 SIMULATED] ${point} API unavailable, try again`); // retried by Restate
  }
}

function booking(ctx: restate.Context, req: BookingRequest) {
  const customer = req.customerId;
  const id = ctx.request().id;
  return {
    bookFlight: async () => {
      await callApi(ctx, "flight.book", customer);
      record("flight.book", { customer, flight: req.flights.flightId }, id);
      return `flight-booking-${customer}`;
    },
    bookCar: async () => {
      await callApi(ctx, "car.book", customer);
      record("car.book", { customer, pickup: req.car.pickupLocation }, id);
      return `car-booking-${customer}`;
    },
    bookHotel: async () => {
      await callApi(ctx, "hotel.book", customer);
      if (FULLY_BOOKED_ARRIVALS.has(req.hotel.arrivalDate)) {
        record("hotel.rejected", { customer, arrival: req.hotel.arrivalDate }, id);
        throw new restate.TerminalError("[👻 SIMULATED] This hotel is fully booked!");
      }
      record("hotel.book", { customer, arrival: req.hotel.arrivalDate }, id);
      return `hotel-booking-${customer}`;
    },
    cancel: (what: "flight" | "car" | "hotel") => async () => record(`${what}.cancel`, { customer }, id),
  };
}

function checked(body: unknown): BookingRequest {
  // A request of the wrong shape fails at once, naming the field, instead of being retried.
  const req = body as BookingRequest;
  for (const field of ["customerId", "flights", "car", "hotel"] as const) {
    if (req?.[field] === undefined) throw new restate.TerminalError(`field '${field}' is required`, { errorCode: 400 });
  }
  return req;
}

const bookingWorkflow = restate.service({
  name: "BookingWorkflow",
  handlers: {
    run: async (ctx: restate.Context, body: unknown) => {
      const req = checked(body);
      const api = booking(ctx, req);
      const compensations: (() => Promise<unknown>)[] = [];
      try {
        // Each undo is registered before its booking: a booking that timed out may still have happened.
        compensations.push(() => ctx.run("Cancel flight", api.cancel("flight")));
        await ctx.run("Book flight", api.bookFlight);
        compensations.push(() => ctx.run("Cancel car", api.cancel("car")));
        await ctx.run("Book car", api.bookCar);
        compensations.push(() => ctx.run("Cancel hotel", api.cancel("hotel")));
        await ctx.run("Book hotel", api.bookHotel);
      } catch (e) {
        if (e instanceof restate.TerminalError) {
          for (const compensation of compensations.reverse()) await compensation();
        }
        throw e;
      }
    },
  },
});

// Loopback only, on $PORT (restate-play sets it; 9080 as in the document otherwise).
const port = Number(process.env.PORT ?? 9080);
http2
  .createServer(restate.endpoint().bind(bookingWorkflow).http2Handler())
  .listen(port, "127.0.0.1", () => console.log(`BookingWorkflow listening on 127.0.0.1:${port}`));
