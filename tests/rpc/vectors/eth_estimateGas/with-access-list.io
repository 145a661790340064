// access list entries add their intrinsic gas
>> {"jsonrpc":"2.0","id":1,"method":"eth_estimateGas","params":[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","accessList":[{"address":"0x0000000000000000000000000000000000000801","storageKeys":["0x0000000000000000000000000000000000000000000000000000000000000000"]}]}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x62d4"}
