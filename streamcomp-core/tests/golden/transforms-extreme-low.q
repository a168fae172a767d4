low
