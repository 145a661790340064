// a notification of an unknown method gets no answer either
>> {"jsonrpc":"2.0","method":"eth_noSuchMethod"}
